"""The only writers of claim state: a melding opened, a trigger fired, letters previewed, a note added.
May import every domain package below it, never reads, exports, cli or web."""
