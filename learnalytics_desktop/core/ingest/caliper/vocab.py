"""The IMS Caliper Analytics 1.2 vocabulary this reader checks: entity types with their
properties, event types with their actions and object types, profiles.

Taken from the Caliper 1.2 specification (section 4, "Events": the Event base properties and
each event's supported actions and object types; section 5, "Entities": each entity's
properties and their types; Appendix B, "Actions") and written as compact tables.  A
property's kind is one of

* ``str``, ``int`` (a non-negative integer: counts, indexes), ``num`` (a decimal: the spec
  types scores and measures as decimals, so ``15`` is refused where ``15.0`` is meant),
  ``bool``, ``dt`` (ISO 8601 date and time), ``dur`` (ISO 8601 duration), ``iri``,
  ``strs`` (a list of strings), ``obj`` (a JSON object: extensions, LTI parameters);
* ``E.Type`` -- an entity of that type or a subtype (``E.A|B``: of either), described inline
  or by its IRI;
* ``L.Type`` -- a list of those.

Subtypes inherit their parent's properties.  A property that is not in the vocabulary is
refused (1.2 sections 4.1 and 5.1: anything else goes in ``extensions``), every property that
is present is checked, and a present ``null`` is refused (optional properties are omitted).
"""

from __future__ import annotations

__all__ = [
    "ACTIONS",
    "CONTEXT",
    "ENTITY_TYPES",
    "ENUMS",
    "EVENT_TYPES",
    "PROFILES",
    "REQUIRED",
    "ROLES",
    "is_subtype",
    "props_of",
]

CONTEXT = "http://purl.imsglobal.org/ctx/caliper/v1p2"

# type: (parent, "prop:kind ...")
ENTITY_TYPES: dict[str, tuple[str | None, str]] = {
    "Entity": (
        None,
        "name:str description:str dateCreated:dt dateModified:dt otherIdentifiers:L.SystemIdentifier extensions:obj",
    ),
    "Agent": ("Entity", ""),
    "Person": ("Agent", ""),
    "Organization": ("Agent", "subOrganizationOf:E.Organization members:L.Agent"),
    "Group": ("Organization", "members:L.Person"),
    "CourseOffering": ("Organization", "courseNumber:str academicSession:str"),
    "CourseSection": ("CourseOffering", "category:str"),
    "SoftwareApplication": ("Agent", "host:str ipAddress:str userAgent:str version:str"),
    "SystemIdentifier": (
        "Entity",
        "identifier:str identifierType:str source:E.Organization|SoftwareApplication",
    ),
    "LearningObjective": ("Entity", ""),
    "Link": ("Entity", ""),
    "DigitalResource": (
        "Entity",
        "creators:L.Agent mediaType:str keywords:strs learningObjectives:L.LearningObjective "
        "isPartOf:E.Entity datePublished:dt version:str storageName:str",
    ),
    "AssignableDigitalResource": (
        "DigitalResource",
        "dateToActivate:dt dateToShow:dt dateToStartOn:dt dateToSubmit:dt maxAttempts:int "
        "maxSubmits:int maxScore:num",
    ),
    "Assessment": ("AssignableDigitalResource", "items:L.AssessmentItem"),
    "AssessmentItem": ("AssignableDigitalResource", "isTimeDependent:bool"),
    "Chapter": ("DigitalResource", ""),
    "Document": ("DigitalResource", ""),
    "Page": ("DigitalResource", ""),
    "WebPage": ("DigitalResource", ""),
    "Frame": ("DigitalResource", "index:int"),
    "LtiLink": ("DigitalResource", "messageType:str"),
    "DigitalResourceCollection": ("DigitalResource", "items:L.DigitalResource"),
    "Forum": ("DigitalResourceCollection", "items:L.Thread"),
    "Thread": ("DigitalResourceCollection", "items:L.Message"),
    "Message": ("DigitalResource", "replyTo:E.Message body:str attachments:L.DigitalResource"),
    "MediaObject": ("DigitalResource", "duration:dur"),
    "AudioObject": ("MediaObject", "volumeMin:str volumeMax:str volumeLevel:str muted:bool"),
    "ImageObject": ("MediaObject", ""),
    "VideoObject": ("MediaObject", ""),
    "MediaLocation": ("DigitalResource", "currentTime:dur"),
    "Questionnaire": ("DigitalResourceCollection", "items:L.QuestionnaireItem"),
    "QuestionnaireItem": ("DigitalResource", "question:E.Question categories:strs weight:num"),
    "Question": ("DigitalResource", "questionPosed:str"),
    "DateTimeQuestion": (
        "Question",
        "minDateTime:dt minLabel:str maxDateTime:dt maxLabel:str",
    ),
    "MultiselectQuestion": ("Question", "points:int itemLabels:strs itemValues:strs"),
    "OpenEndedQuestion": ("Question", ""),
    "RatingScaleQuestion": ("Question", "scale:E.Scale"),
    "Scale": ("Entity", ""),
    "LikertScale": ("Scale", "scalePoints:int itemLabels:strs itemValues:strs"),
    "MultiselectScale": (
        "Scale",
        "scalePoints:int itemLabels:strs itemValues:strs isOrderedSelection:bool "
        "minSelections:int maxSelections:int",
    ),
    "NumericScale": ("Scale", "minValue:num minLabel:str maxValue:num maxLabel:str step:num"),
    "Collection": ("Entity", "items:L.Entity"),
    "Survey": ("Collection", "items:L.Questionnaire"),
    "SurveyInvitation": ("Entity", "rater:E.Person survey:E.Survey sentCount:int dateSent:dt"),
    "Attempt": (
        "Entity",
        "assignee:E.Person assignable:E.DigitalResource isPartOf:E.Attempt count:int "
        "startedAtTime:dt endedAtTime:dt duration:dur",
    ),
    "Response": ("Entity", "attempt:E.Attempt startedAtTime:dt endedAtTime:dt duration:dur"),
    "DateTimeResponse": ("Response", "dateTimeSelected:dt"),
    "FillinBlankResponse": ("Response", "values:strs"),
    "MultipleChoiceResponse": ("Response", "value:str"),
    "MultipleResponseResponse": ("Response", "values:strs"),
    "MultiselectResponse": ("Response", "selections:strs"),
    "OpenEndedResponse": ("Response", "value:str"),
    "RatingScaleResponse": ("Response", "selections:strs"),
    "SelectTextResponse": ("Response", "values:strs"),
    "TrueFalseResponse": ("Response", "value:str"),
    "Score": ("Entity", "attempt:E.Attempt maxScore:num scoreGiven:num scoredBy:E.Agent comment:str"),
    "Result": (
        "Entity",
        "attempt:E.Attempt maxResultScore:num resultScore:num scoredBy:E.Agent comment:str",
    ),
    "Annotation": ("Entity", "annotator:E.Person annotated:E.DigitalResource"),
    "BookmarkAnnotation": ("Annotation", "bookmarkNotes:str"),
    "HighlightAnnotation": ("Annotation", "selection:E.TextPositionSelector selectionText:str"),
    "SharedAnnotation": ("Annotation", "withAgents:L.Agent"),
    "TagAnnotation": ("Annotation", "tags:strs"),
    "TextPositionSelector": ("Entity", "start:int end:int"),
    "Membership": ("Entity", "organization:E.Organization member:E.Person roles:strs status:str"),
    "Session": (
        "Entity",
        "user:E.Person client:E.SoftwareApplication startedAtTime:dt endedAtTime:dt duration:dur",
    ),
    "LtiSession": ("Session", "messageParameters:obj"),
    "Comment": ("Entity", "commenter:E.Person commentedOn:E.Entity value:str"),
    "Rating": (
        "Entity",
        "rater:E.Person rated:E.Entity question:E.Question selections:strs ratingComment:E.Comment",
    ),
    "Query": ("Entity", "creator:E.Person searchTarget:E.Entity searchTerms:str"),
    "SearchResponse": (
        "Entity",
        "searchProvider:E.SoftwareApplication searchTarget:E.Entity query:E.Query "
        "searchResultsItemCount:int searchResults:L.Entity",
    ),
    "AggregateMeasure": (
        "Entity",
        "metricValue:num maxMetricValue:num metric:str startedAtTime:dt endedAtTime:dt",
    ),
    "AggregateMeasureCollection": ("Collection", "items:L.AggregateMeasure"),
}

# Entities that need no id (1.2 section 5: selectors and identifiers are described, not named).
NO_ID = frozenset({"SystemIdentifier", "TextPositionSelector"})

# Closed value sets (1.2 section 5 and the appendices on roles, statuses, metrics, identifier
# types and LTI message types): property -> allowed values.
ENUMS: dict[str, frozenset[str]] = {
    "status": frozenset({"Active", "Inactive"}),
    "metric": frozenset(
        [
            "AssessmentsPassed",
            "AssessmentsSubmitted",
            "MinutesOnTask",
            "SkillsMastered",
            "StandardsMastered",
            "UnitsCompleted",
            "UnitsPassed",
            "WordsRead",
        ]
    ),
    "identifierType": frozenset(
        [
            "AccountUserName",
            "CanvasPseudonymId",
            "CanvasSID",
            "EmailAddress",
            "GitHub",
            "Google",
            "LinkedIn",
            "LisSourcedId",
            "LtiContextId",
            "LtiDeploymentId",
            "LtiPlatformId",
            "LtiToolId",
            "LtiUserId",
            "MicrosoftLiveConnect",
            "OneRosterSourcedId",
            "Other",
            "SisSourcedId",
            "SystemId",
            "Twitter",
        ]
    ),
    "messageType": frozenset({"LtiResourceLinkRequest", "LtiDeepLinkingRequest", "LtiDeepLinkingResponse"}),
}
# Membership roles: a base role, optionally with a sub-role after '#'.
ROLES = frozenset(
    ["Administrator", "ContentDeveloper", "Instructor", "Learner", "Manager", "Member", "Mentor", "Officer"]
)
# Properties an entity of a type must have besides id and type.
REQUIRED = {
    "AggregateMeasure": ("metric", "metricValue"),
    "SystemIdentifier": ("identifier", "identifierType"),
}
# Event properties an event type must have besides the base ones.
EVENT_REQUIRED = {"ToolLaunchEvent": ("federatedSession",)}

# Event base properties (1.2 section 4.1), checked for every event type.
EVENT_PROPS = (
    "actor:E.Agent object:E.Entity generated:E.Entity target:E.Entity referrer:E.Entity "
    "edApp:E.SoftwareApplication group:E.Organization membership:E.Membership "
    "session:E.Session federatedSession:E.LtiSession extensions:obj"
)

_MEDIA_ACTIONS = (
    "Started Ended Paused Resumed Restarted ForwardedTo JumpedTo ChangedResolution ChangedSize "
    "ChangedSpeed ChangedVolume EnabledClosedCaptioning DisabledClosedCaptioning EnteredFullScreen "
    "ExitedFullScreen Muted Unmuted OpenedPopout ClosedPopout"
)
_RESOURCE_ACTIONS = (
    "Archived Copied Created Deleted Described Downloaded Modified Printed Published Restored "
    "Retrieved Saved Unpublished Uploaded"
)

# event type: (actions, object types, generated types, target types, referrer types, actor
# types)   (1.2 section 4.3, one entry per event).  An empty generated means any entity; an
# empty target means a DigitalResource (a Frame, a MediaLocation, a Link), an empty referrer a
# DigitalResource or SoftwareApplication: never a person (the corpus of invalid events checks it).
EVENT_TYPES: dict[str, tuple[str, str, str, str, str, str]] = {
    "Event": ("*", "Entity", "Entity", "Entity", "Entity", "Agent"),
    "AnnotationEvent": (
        "Bookmarked Highlighted Shared Tagged",
        "DigitalResource",
        "Annotation",
        "",
        "",
        "Person",
    ),
    "AssessmentEvent": (
        "Started Paused Resumed Restarted Reset Submitted",
        "Assessment",
        "Attempt",
        "",
        "",
        "Person",
    ),
    "AssessmentItemEvent": (
        "Started Skipped Completed",
        "AssessmentItem",
        "Attempt Response",
        "",
        "",
        "Person",
    ),
    "AssignableEvent": (
        "Activated Deactivated Started Completed Submitted Reviewed",
        "AssignableDigitalResource",
        "Attempt",
        "",
        "",
        "Person",
    ),
    "FeedbackEvent": ("Commented Ranked", "Entity", "Comment Rating", "", "", "Person"),
    "ForumEvent": ("Subscribed Unsubscribed", "Forum", "", "", "", "Person"),
    "GradeEvent": ("Graded", "Attempt", "Score", "", "", "Agent"),
    "MediaEvent": (_MEDIA_ACTIONS, "MediaObject", "", "MediaLocation", "", "Person"),
    "MessageEvent": ("Posted MarkedAsRead MarkedAsUnread", "Message", "", "", "", "Person"),
    "NavigationEvent": (
        "NavigatedTo",
        "DigitalResource SoftwareApplication",
        "",
        "DigitalResource",
        "DigitalResource SoftwareApplication",
        "Person",
    ),
    "QuestionnaireEvent": ("Started Completed Submitted", "Questionnaire", "", "", "", "Person"),
    "QuestionnaireItemEvent": (
        "Started Skipped Completed Submitted",
        "QuestionnaireItem",
        "Response",
        "",
        "",
        "Person",
    ),
    "ResourceManagementEvent": (_RESOURCE_ACTIONS, "DigitalResource", "DigitalResource", "", "", "Person"),
    "SearchEvent": ("Searched", "Entity", "SearchResponse", "", "", "Person"),
    "SessionEvent": (
        "LoggedIn LoggedOut TimedOut",
        "SoftwareApplication Session",
        "Session",
        "",
        "",
        "Agent",
    ),
    "SurveyEvent": ("OptedIn OptedOut", "Survey", "", "", "", "Person"),
    "SurveyInvitationEvent": ("Accepted Declined Sent", "SurveyInvitation", "", "", "", "Person"),
    "ThreadEvent": ("MarkedAsRead MarkedAsUnread", "Thread", "", "", "", "Person"),
    "ToolLaunchEvent": (
        "Launched Returned",
        "SoftwareApplication",
        "DigitalResource",
        "Link DigitalResource",
        "",
        "Person",
    ),
    "ToolUseEvent": (
        "Used",
        "SoftwareApplication",
        "AggregateMeasureCollection",
        "SoftwareApplication",
        "",
        "Person",
    ),
    "ViewEvent": ("Viewed", "DigitalResource", "", "", "", "Person"),
}

# 1.2 Appendix B: every action in the vocabulary (the generic Event may use any of them).
ACTIONS = frozenset(
    [
        "Abandoned",
        "Accepted",
        "Activated",
        "Added",
        "Attached",
        "Bookmarked",
        "ChangedResolution",
        "ChangedSize",
        "ChangedSpeed",
        "ChangedVolume",
        "Classified",
        "ClosedPopout",
        "Commented",
        "Completed",
        "Copied",
        "Created",
        "Deactivated",
        "Declined",
        "Deleted",
        "Described",
        "DisabledClosedCaptioning",
        "Disliked",
        "Downloaded",
        "EnabledClosedCaptioning",
        "Ended",
        "EnteredFullScreen",
        "ExitedFullScreen",
        "ForwardedTo",
        "Graded",
        "Hid",
        "Highlighted",
        "Identified",
        "JumpedTo",
        "Launched",
        "Liked",
        "Linked",
        "LoggedIn",
        "LoggedOut",
        "MarkedAsRead",
        "MarkedAsUnread",
        "Modified",
        "Muted",
        "NavigatedTo",
        "OpenedPopout",
        "OptedIn",
        "OptedOut",
        "Paused",
        "Posted",
        "Printed",
        "Published",
        "Questioned",
        "Ranked",
        "Recommended",
        "Removed",
        "Reset",
        "Restarted",
        "Restored",
        "Resumed",
        "Retrieved",
        "Returned",
        "Reviewed",
        "Rewound",
        "Saved",
        "Searched",
        "Sent",
        "Shared",
        "Showed",
        "Skipped",
        "Started",
        "Submitted",
        "Subscribed",
        "Tagged",
        "TimedOut",
        "Unmuted",
        "Unpublished",
        "Unsubscribed",
        "Uploaded",
        "Used",
        "Viewed",
    ]
)

PROFILES = frozenset(
    [
        "AnnotationProfile",
        "AssessmentProfile",
        "AssignableProfile",
        "FeedbackProfile",
        "ForumProfile",
        "GeneralProfile",
        "GradingProfile",
        "MediaProfile",
        "ReadingProfile",
        "ResourceManagementProfile",
        "SearchProfile",
        "SessionProfile",
        "SurveyProfile",
        "ToolLaunchProfile",
        "ToolUseProfile",
    ]
)

_PROPS: dict[str, dict[str, str]] = {}


def props_of(etype: str) -> dict[str, str]:
    """All checked properties of an entity type (its own and inherited): name -> kind."""
    out = _PROPS.get(etype)
    if out is None:
        parent, spec = ENTITY_TYPES[etype]
        out = dict(props_of(parent)) if parent else {}
        out.update(item.split(":", 1) for item in spec.split())  # type: ignore[misc]  # "name:kind" pairs
        _PROPS[etype] = out
    return out


def is_subtype(etype: str, wanted: str) -> bool:
    """Whether ``etype`` is ``wanted`` or one of its subtypes."""
    t: str | None = etype
    while t is not None:
        if t == wanted:
            return True
        t = ENTITY_TYPES[t][0] if t in ENTITY_TYPES else None
    return False
