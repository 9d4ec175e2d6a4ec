"""One query: screened (:mod:`.screening`), evaluated (:mod:`.store`, :mod:`.remote`, in a
process that can be stopped: :mod:`.runner`) and written (:mod:`.results`)."""
