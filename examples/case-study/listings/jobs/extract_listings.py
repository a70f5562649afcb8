"""Extract one day of listings into the lake's staging area."""
import argparse

from pyspark.sql import SparkSession

parser = argparse.ArgumentParser()
parser.add_argument("--date", required=True)
args = parser.parse_args()

spark = SparkSession.builder.appName("extract-listings").getOrCreate()
listings = spark.read.json(f"s3://core-data-raw/listings/{args.date}/")
listings.write.mode("overwrite").parquet(
    f"s3://lake/listings/_staging/{args.date.replace('-', '')}/"
)
