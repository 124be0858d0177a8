"""The claim kinds: their workflow specs (workflows/*.yaml), the melding's fields, the catalog that loads
and checks the specs, and the guards and effects they name. May import storage, money, rules and
notifications.formatting."""
