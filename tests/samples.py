"""Small flow documents written for the tests."""

SAMPLE_FLOW = """\
slug: sample-call
title: {en: Sample Call, zh: 示例呼叫}
source: {document: RFC 5359, section: "9.9"}
summary: {en: Alice calls Bob and hangs up., zh: Alice 呼叫 Bob 然后挂断。}
participants:
  - {key: alice, name: Alice, role: ua}
  - {key: bob, name: Bob, role: ua}
steps:
  - label: F1
    kind: message
    from: alice
    to: bob
    focus: [Via]
    message: |
      INVITE sip:bob@biloxi.example.com SIP/2.0
      Via: SIP/2.0/UDP client.atlanta.example.com:5060
       ;branch=z9hG4bK74bf9
      Max-Forwards: 70
      From: Alice <sip:alice@atlanta.example.com>;tag=1234567
      To: Bob <sip:bob@biloxi.example.com>
      Call-ID: 12345600@atlanta.example.com
      CSeq: 1 INVITE
      Contact: <sip:alice@client.atlanta.example.com>
      Content-Length: 0
    annotation: {en: Alice invites Bob., zh: Alice 邀请 Bob。}
  - label: F2
    kind: message
    from: bob
    to: alice
    message: |
      SIP/2.0 200 OK
      Via: SIP/2.0/UDP client.atlanta.example.com:5060
       ;branch=z9hG4bK74bf9
      From: Alice <sip:alice@atlanta.example.com>;tag=1234567
      To: Bob <sip:bob@biloxi.example.com>;tag=3145678
      Call-ID: 12345600@atlanta.example.com
      CSeq: 1 INVITE
      Contact: <sip:bob@client.biloxi.example.com>
      Content-Length: 0
    annotation: {en: Bob answers <at once>., zh: Bob 立即应答。}
  - label: M1
    kind: media
    from: alice
    to: bob
    media: two-way
    text: {en: Two-way RTP, zh: 双向 RTP}
  - label: E1
    kind: event
    text: {en: Bob is busy, zh: Bob 忙}
notes:
  - key: N1
    step: F2
    kind: rfc-defect
    where: RFC 5359 §9.9, F2
    as_written: |
      To: Bob <sip:bob@biloxi.example.com>;tag=314578
    correction: |
      To: Bob <sip:bob@biloxi.example.com>;tag=3145678
    discussion: {en: The tag must stay the same., zh: 标签必须保持不变。}
  - key: N2
    kind: discussion
    discussion: {en: A whole-flow remark., zh: 关于整个流程的说明。}
"""
