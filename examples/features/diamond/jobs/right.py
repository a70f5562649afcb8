"""The right branch of the diamond."""
import sys

print("right", sys.argv[1:])
