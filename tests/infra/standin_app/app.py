"""A minimal Chalice app shaped like api/app.py, to package the merge template before the real app exists.

Like the real app it takes the site's origin for CORS from QINGYI_SITE_ORIGINS.
"""

import os

from chalice import Chalice, CORSConfig

app = Chalice(app_name="qingyi-api")
cors = CORSConfig(
    allow_origin=os.environ.get("QINGYI_SITE_ORIGINS", "http://127.0.0.1:8000").split(",")[0],
    allow_headers=["Idempotency-Key"],
)


@app.route("/health", cors=cors)
def health() -> dict:
    return {"ok": True}


@app.route("/projects/{project_id}/pledges", methods=["POST"], cors=cors)
def pledge(project_id: str) -> dict:
    return {"project_id": project_id}
