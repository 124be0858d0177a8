"""Money rules: statutory interest (6:119, 6:119a BW) and its reference rates. May import storage only."""
