"""Loads the day's campaigns."""
import sys

print("load", sys.argv[1:])
