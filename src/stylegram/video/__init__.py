"""Video: a clip stylized frame by frame with temporal consistency (Ruder et al. 2016),
its timing and sound kept. PyAV and OpenCV are imported only when a clip is read,
written or a flow computed (``pip install 'stylegram[video]'``)."""

from .flow import consistency_mask, optical_flow, warp, warping_error
from .frames import Clip, VideoReadError, probe, read_frames
from .stylize_video import DEFAULT_BLEND, DEFAULT_TEMPORAL_WEIGHT, METHODS, FrameEvent, VideoResult, later_steps_for, stylize_video, work_folder
from .writer import check_video_output, output_kind, write_clip

__all__ = [
    "Clip",
    "DEFAULT_BLEND",
    "DEFAULT_TEMPORAL_WEIGHT",
    "FrameEvent",
    "METHODS",
    "VideoReadError",
    "VideoResult",
    "check_video_output",
    "consistency_mask",
    "later_steps_for",
    "optical_flow",
    "output_kind",
    "probe",
    "read_frames",
    "stylize_video",
    "warp",
    "warping_error",
    "work_folder",
    "write_clip",
]
