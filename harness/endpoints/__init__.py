"""The only package that talks to a model server."""

from harness.endpoints.client import ChatClient, Endpoint, OutputMode, SamplingParams

__all__ = ["ChatClient", "Endpoint", "OutputMode", "SamplingParams"]
