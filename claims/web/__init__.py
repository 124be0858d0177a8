"""The web application and the JSON API: thin layers over claims.service and claims.reads.queries."""
