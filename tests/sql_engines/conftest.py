"""Real engines for the SQL dialects: a local Spark session and a throwaway
PostgreSQL cluster. Each fixture skips cleanly when its engine is missing
(.ci/spark.sh and .ci/postgres.sh install them)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest


def _java() -> bool:
    return shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME"))


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    pyspark = pytest.importorskip("pyspark.sql")
    if not _java():
        pytest.skip("no Java for Spark")
    # pyspark gives TIMESTAMP values to Python as naive local times: UTC here.
    os.environ["TZ"] = "UTC"
    time.tzset()
    session = (pyspark.SparkSession.builder.master("local[1]").appName("qualdsl-tests")
               .config("spark.ui.enabled", "false").config("spark.driver.memory", "512m")
               .config("spark.sql.shuffle.partitions", "1").config("spark.sql.session.timeZone", "UTC")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
