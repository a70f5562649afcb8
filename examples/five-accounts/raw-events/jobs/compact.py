"""Compacts one day of raw events into Parquet (example job)."""
import sys

if __name__ == "__main__":
    print("compacting", sys.argv[1:])
