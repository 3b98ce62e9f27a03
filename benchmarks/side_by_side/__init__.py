"""The side-by-side benchmark's parts: the latency server, the shapes, the public tool's venv."""
