"""The 18 service flows of RFC 5359, in the groups a learner thinks in.

The home page shows every slot, whether or not the library holds the flow yet.
"""

from typing import NamedTuple


class FlowSlot(NamedTuple):
    section: str
    slug: str
    title_en: str
    title_zh: str
    group: str

    @property
    def title(self) -> dict[str, str]:
        """Bilingual, like a flow document's title."""
        return {"en": self.title_en, "zh": self.title_zh}


GROUPS = (
    "hold",
    "transfer",
    "forwarding",
    "conference",
    "find-me",
    "screening",
    "park-pickup",
    "redial",
    "click-to-dial",
)

FLOW_SLOTS = (
    FlowSlot("2.1", "call-hold", "Call Hold", "呼叫保持", "hold"),
    FlowSlot("2.2", "consultation-hold", "Consultation Hold", "咨询保持", "hold"),
    FlowSlot("2.3", "music-on-hold", "Music on Hold", "保持音乐", "hold"),
    FlowSlot("2.4", "transfer-unattended", "Transfer - Unattended", "非协商转移", "transfer"),
    FlowSlot("2.5", "transfer-attended", "Transfer - Attended", "协商转移", "transfer"),
    FlowSlot(
        "2.6",
        "transfer-instant-messaging",
        "Transfer - Instant Messaging",
        "即时消息转移",
        "transfer",
    ),
    FlowSlot(
        "2.7",
        "call-forwarding-unconditional",
        "Call Forwarding Unconditional",
        "无条件呼叫前转",
        "forwarding",
    ),
    FlowSlot(
        "2.8", "call-forwarding-busy", "Call Forwarding on Busy", "遇忙呼叫前转", "forwarding"
    ),
    FlowSlot(
        "2.9",
        "call-forwarding-no-answer",
        "Call Forwarding on No Answer",
        "无应答呼叫前转",
        "forwarding",
    ),
    FlowSlot(
        "2.10",
        "conference-third-party-added",
        "3-Way Conference - Third Party Is Added",
        "三方会议：加入第三方",
        "conference",
    ),
    FlowSlot(
        "2.11",
        "conference-third-party-joins",
        "3-Way Conference - Third Party Joins",
        "三方会议：第三方主动加入",
        "conference",
    ),
    FlowSlot("2.12", "find-me", "Find-Me", "寻找我", "find-me"),
    FlowSlot("2.13", "incoming-call-screening", "Incoming Call Screening", "呼入筛选", "screening"),
    FlowSlot("2.14", "outgoing-call-screening", "Outgoing Call Screening", "呼出筛选", "screening"),
    FlowSlot("2.15", "call-park", "Call Park", "呼叫寄存", "park-pickup"),
    FlowSlot("2.16", "call-pickup", "Call Pickup", "呼叫代答", "park-pickup"),
    FlowSlot("2.17", "automatic-redial", "Automatic Redial", "自动重拨", "redial"),
    FlowSlot("2.18", "click-to-dial", "Click to Dial", "点击拨号", "click-to-dial"),
)
