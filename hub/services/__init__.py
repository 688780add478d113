"""Life services (issue 20) at the care center: work orders and their staff steps (steps.py,
api.py), the provider directory and households' entitlements (directory.py), and the
family's read of its own requests (family.py). Never part of the alarm desk or its feed."""
