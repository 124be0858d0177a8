"""The web application and the JSON API: app, dependencies (session, viewer, CSRF), errors mapped to HTTP,
templating, API schemas, and routes/ per area; thin layers over claims.service and claims.reads. May import
every claims package; nothing outside claims.web imports it."""
