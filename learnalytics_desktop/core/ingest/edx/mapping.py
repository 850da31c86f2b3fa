"""Which Open edX tracking-log events are learner activity, and the xAPI verb and type of each.

Written for this app from the Open edX event documentation ("Events in the Tracking Logs"),
with openfun/ralph's edX-to-xAPI converters as a reference for the meaning of each event.
The verbs and activity types are chosen so that ``core.ingest.categories`` maps them:

=====================================  ==============================  =====================
events                                 verb                            category (by type)
=====================================  ==============================  =====================
problem_check (server)                 ADL answered (+ score)          assessment
showanswer, edx.problem.showanswer     TinCan viewed                   assessment
edx.problem.hint.demandhint_displayed  ADL asked                       assessment
play/pause/seek/stop/load_video and    Video Profile played, paused,   video
their edx.video.* names, complete      seeked; ADL terminated,
                                       initialized, completed
seq_goto/next/prev, edx.ui.lms.*       DoD ISD navigated               navigation
edx.forum.*.created/viewed/voted,      ACRossX posted, TinCan          forum
edx.forum.searched                     replied/viewed/liked, ACRossX
                                       searched
openassessmentblock.create/save_       TinCan submitted, DoD ISD       assignment
submission, peer/self_assess           saved, assessed
edx.course.enrollment.activated /      ADL registered / TinCan         navigation (and the
deactivated                            unregistered                    withdrawal date)
=====================================  ==============================  =====================

Skipped (valid, not a learner action): the browser echoes of a problem check
(``problem_check`` from the browser, ``problem_graded``: the server's problem_check carries
the grade and is the one stored), web-server request lines (an event type that is a URL
path), grading, certificate, instructor, settings and other server bookkeeping, page_close,
video player settings (speed, captions, transcripts), and every event type not listed here.
"""

from __future__ import annotations

__all__ = ["EVENTS", "SKIP_PREFIXES", "Event"]

_ADL = "http://adlnet.gov/expapi/verbs/"
_TC = "http://id.tincanapi.com/verb/"
_VID = "https://w3id.org/xapi/video/verbs/"
_AX = "https://w3id.org/xapi/acrossx/verbs/"
_ISD = "https://w3id.org/xapi/dod-isd/verbs/"

QUESTION = "http://adlnet.gov/expapi/activities/question"
VIDEO = "https://w3id.org/xapi/video/activity-type/video"
MODULE = "http://adlnet.gov/expapi/activities/module"
COURSE = "http://adlnet.gov/expapi/activities/course"
THREAD = "http://id.tincanapi.com/activitytype/forum-topic"
REPLY = "http://id.tincanapi.com/activitytype/forum-reply"
DISCUSSION = "http://id.tincanapi.com/activitytype/discussion"
ASSIGNMENT = "http://id.tincanapi.com/activitytype/school-assignment"
LINK = "http://adlnet.gov/expapi/activities/link"

# kind: how the object and result are found (see convert); verb IRI; activity type IRI
Event = tuple[str, str, str]

EVENTS: dict[str, Event] = {
    "problem_check": ("problem", _ADL + "answered", QUESTION),
    "showanswer": ("problem", _TC + "viewed", QUESTION),
    "edx.problem.showanswer": ("problem", _TC + "viewed", QUESTION),
    "edx.problem.hint.demandhint_displayed": ("problem", _ADL + "asked", QUESTION),
    "play_video": ("video", _VID + "played", VIDEO),
    "edx.video.played": ("video", _VID + "played", VIDEO),
    "pause_video": ("video", _VID + "paused", VIDEO),
    "edx.video.paused": ("video", _VID + "paused", VIDEO),
    "seek_video": ("video", _VID + "seeked", VIDEO),
    "edx.video.position.changed": ("video", _VID + "seeked", VIDEO),
    "stop_video": ("video", _ADL + "terminated", VIDEO),
    "edx.video.stopped": ("video", _ADL + "terminated", VIDEO),
    "load_video": ("video", _ADL + "initialized", VIDEO),
    "edx.video.loaded": ("video", _ADL + "initialized", VIDEO),
    "complete_video": ("video", _ADL + "completed", VIDEO),
    "edx.video.completed": ("video", _ADL + "completed", VIDEO),
    "seq_goto": ("sequence", _ISD + "navigated", MODULE),
    "seq_next": ("sequence", _ISD + "navigated", MODULE),
    "seq_prev": ("sequence", _ISD + "navigated", MODULE),
    "edx.ui.lms.sequence.next_selected": ("sequence", _ISD + "navigated", MODULE),
    "edx.ui.lms.sequence.previous_selected": ("sequence", _ISD + "navigated", MODULE),
    "edx.ui.lms.sequence.tab_selected": ("sequence", _ISD + "navigated", MODULE),
    "edx.ui.lms.outline.selected": ("link", _ISD + "navigated", MODULE),
    "edx.forum.thread.created": ("forum", _AX + "posted", THREAD),
    "edx.forum.response.created": ("forum", _TC + "replied", REPLY),
    "edx.forum.comment.created": ("forum", _TC + "replied", REPLY),
    "edx.forum.thread.viewed": ("forum", _TC + "viewed", THREAD),
    "edx.forum.thread.voted": ("forum", _TC + "liked", THREAD),
    "edx.forum.response.voted": ("forum", _TC + "liked", REPLY),
    "edx.forum.searched": ("search", _AX + "searched", DISCUSSION),
    "openassessmentblock.create_submission": ("ora", _TC + "submitted", ASSIGNMENT),
    "openassessmentblock.save_submission": ("ora", _ISD + "saved", ASSIGNMENT),
    "openassessmentblock.peer_assess": ("ora", _ISD + "assessed", ASSIGNMENT),
    "openassessmentblock.self_assess": ("ora", _ISD + "assessed", ASSIGNMENT),
    "edx.course.enrollment.activated": ("enrollment", _ADL + "registered", COURSE),
    "edx.course.enrollment.deactivated": ("enrollment", _TC + "unregistered", COURSE),
}

# Event-type prefixes skipped with a reason that names the family (a category, no data).
SKIP_PREFIXES: tuple[tuple[str, str], ...] = (
    ("edx.grades.", "grading bookkeeping by the server"),
    ("edx.course.grade.", "grading bookkeeping by the server"),
    ("edx.certificate.", "certificate bookkeeping by the server"),
    ("edx.instructor.", "an instructor's action"),
    ("edx.team.", "team management"),
    ("edx.user.", "account settings"),
    ("edx.bi.", "business-intelligence tracking"),
    ("edx.course.enrollment.", "an enrolment change other than joining or leaving"),
    ("edx.video.", "video player settings (speed, captions, transcripts)"),
    ("speed_change_video", "video player settings (speed, captions, transcripts)"),
    ("show_transcript", "video player settings (speed, captions, transcripts)"),
    ("hide_transcript", "video player settings (speed, captions, transcripts)"),
    ("problem_rescore", "a staff rescoring"),
    ("edx.problem.", "problem bookkeeping (hints shown with feedback, resets, rescoring)"),
    ("openassessment", "an open-response-assessment screen being loaded"),
    ("page_close", "the browser closed a page"),
)
