"""Compute metric X for one day from listings and searches."""
import argparse

from pyspark.sql import SparkSession

parser = argparse.ArgumentParser()
parser.add_argument("--date", required=True)
args = parser.parse_args()

spark = SparkSession.builder.appName("metric-x").getOrCreate()
listings = spark.read.parquet(f"s3://lake/listings/dt={args.date}/")
searches = spark.read.parquet(f"s3://lake/searches/dt={args.date}/")
metric = searches.join(listings, "listing_id").groupBy("region").count()
metric.write.mode("overwrite").parquet("/mnt/out/")
