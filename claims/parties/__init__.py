"""Parties of a claim: who they are (roles, labels), the rules their fields keep, how they are addressed.

Imports only storage and the top-level errors and text rules; claims.service.parties writes them.
"""
