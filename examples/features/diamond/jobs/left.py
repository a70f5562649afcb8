"""The left branch of the diamond."""
import sys

print("left", sys.argv[1:])
