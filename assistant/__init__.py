"""A Dutch question-answering assistant over "De waarde van het sociaal domein"."""

from importlib.metadata import PackageNotFoundError, version

ASSISTANT_NAME = "Sociaal-domein-assistent"
try:
    __version__ = version("sociaal-domein-assistant")
except PackageNotFoundError:  # run from a copy that was never installed
    __version__ = "0+unknown"
