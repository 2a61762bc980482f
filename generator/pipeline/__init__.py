"""The build pipeline: load, validate, link, render, and the orchestrator that runs them."""
