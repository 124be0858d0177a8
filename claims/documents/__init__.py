"""Documents on a claim, below the service: the content-addressed store behind one small interface
(store), an upload received under its size limit (upload), its type read from its content (sniff), the
name it is served under (filenames) and the kinds of document there are (types). Knows no table but
through claims.storage; the service (claims.service.documents) ties them to a claim."""
