"""One module per kind of record; KINDS lists them in load order."""

from .batch import Batch
from .campaign import Campaign
from .common import Record
from .cottage import Cottage
from .need import Need
from .organisation import Organisation
from .programme import Programme
from .project import Project
from .settlement import Settlement
from .team import Team
from .venture_project import VentureProject
from .volunteer_structure import VolunteerStructure

KINDS: tuple[type[Record], ...] = (
    Programme, Organisation, Project, Batch, Cottage, Campaign, Team, Need, VolunteerStructure, VentureProject,
    Settlement,
)
BY_FOLDER = {kind.FOLDER: kind for kind in KINDS}

__all__ = [
    "KINDS", "BY_FOLDER", "Batch", "Campaign", "Cottage", "Need", "Organisation", "Programme", "Project",
    "Record", "Settlement", "Team", "VentureProject", "VolunteerStructure",
]
