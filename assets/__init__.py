"""The governed data flow: ingest → provenance → snapshot → publish, one partition per catalog dataset."""

# Recorded in every provenance record; bump with releases that change what the pipeline produces.
CODE_VERSION = "0.1.0"
