"""Pure values of a conversation: run events, the transcript, interrupts, message identity, the
wire protocol's defaults. No I/O.
"""
