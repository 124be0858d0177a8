"""Letters: the facts each template is written from, built from a transition's context. May import storage
and kinds."""
