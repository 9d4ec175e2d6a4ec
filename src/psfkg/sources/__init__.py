"""The CBSS pages: their parser (:mod:`.cbss`), the importer that compares them with the records,
and synthetic records of the same shape (:mod:`.synth`)."""
