"""A real engine for the Spark dialect: one local Spark session for the run.
It skips cleanly without pyspark or Java (.ci/run installs Java 17)."""

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
    from budget import THOROUGH

    if not THOROUGH:
        # A Spark session and its plans take minutes on a shared 2-core machine:
        # the ci profile runs them (QUALDSL_TEST_PROFILE=ci, the default under CI).
        pytest.skip("Spark tests run in the ci test profile (QUALDSL_TEST_PROFILE=ci)")
    pyspark = pytest.importorskip("pyspark.sql")
    if not _java():
        pytest.skip("no Java for Spark")
    # pyspark gives TIMESTAMP values to Python as naive local times: UTC here.
    os.environ["TZ"] = "UTC"
    time.tzset()
    session = (pyspark.SparkSession.builder.master("local[1]").appName("qualdsl-tests")
               .config("spark.ui.enabled", "false").config("spark.driver.memory", "1g")
               .config("spark.sql.shuffle.partitions", "1").config("spark.sql.session.timeZone", "UTC")
               # Speed only (the SQL does not depend on it): the plans are large
               # and the test data small, so compiling them to Java costs most.
               .config("spark.sql.codegen.wholeStage", "false")
               .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
