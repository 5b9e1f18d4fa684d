"""fupin: monitoring and assistance to prevent rural households from falling (back) into poverty."""

__version__ = "0.1.0"
