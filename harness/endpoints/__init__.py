"""The only package that talks to a model server.

`settings` holds plain values (Endpoint, SamplingParams, OutputMode); `client` the call
itself (and the openai SDK, imported only when a model is actually called).
"""

from harness.endpoints.settings import LADDER, Endpoint, OutputMode, SamplingParams

__all__ = ["LADDER", "Endpoint", "OutputMode", "SamplingParams"]
