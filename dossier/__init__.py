"""Dossier: a customer-profile hub."""
