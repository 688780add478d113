"""The household safety engine: device roles, always-on rules and the local alarm book.

No Home Assistant imports: the integration feeds observations in and carries effects out.
"""
