"""The governed data flow: ingest → provenance → snapshot → publish, one partition per catalog dataset."""

# Recorded in every provenance record; bump with releases that change what the pipeline produces.
CODE_VERSION = "0.1.0"
# The snapshot's data file as published: the path provenance.json, the card and croissant.json name.
DATA_FILE = "data/train-00000-of-00001.parquet"
