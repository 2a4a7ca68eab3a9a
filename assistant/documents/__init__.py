"""Loading and parsing of the source documents."""
