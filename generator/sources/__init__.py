"""Readers of outside inputs: BibTeX and git."""
