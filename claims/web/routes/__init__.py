"""The web app's routers, one module per area (auth, claims, correspondence, dashboard, admin, exports,
api); they import the rest of claims.web (deps, pages, files, errors, schemas), never each other."""
