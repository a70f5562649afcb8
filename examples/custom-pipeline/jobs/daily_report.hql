-- The daily report of metric X: one row per region for the run's date.
-- Variables (-d): DS (the run's date), INPUT and OUTPUT (S3 locations).
CREATE EXTERNAL TABLE IF NOT EXISTS metric_x (region STRING, cnt BIGINT)
  STORED AS PARQUET
  LOCATION '${INPUT}';

INSERT OVERWRITE DIRECTORY '${OUTPUT}'
  ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
  SELECT '${DS}' AS dt, region, cnt
  FROM metric_x
  ORDER BY cnt DESC;
