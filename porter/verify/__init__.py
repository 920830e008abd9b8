"""Verification of generated model classes against the original Spec-Bench runners."""
