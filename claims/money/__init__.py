"""Money rules: statutory interest (6:119, 6:119a BW) and its reference rates, buitengerechtelijke
incassokosten (6:96 BW and its Besluit). May import storage only."""
