"""Department data feeds: lists from civil affairs, health insurance, education, housing, emergency
management and human resources, imported all or nothing, linked to registry people through the
ID-number blind index and handed to the screening engine as an Arrow table (``selectors.feed_table``).
"""
