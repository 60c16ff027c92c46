"""Grading: answers x keys -> results (numbers and structured details; no formatting)."""
