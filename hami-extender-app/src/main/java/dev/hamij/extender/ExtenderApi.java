package dev.hamij.extender;

import java.util.List;

/** What the HTTP surface asks of the scheduler side; each call returns the wire result, never throws. */
interface ExtenderApi {
  /** {@code POST /filter}. */
  ExtenderWire.FilterResult filter(ExtenderWire.Args args);

  /** {@code POST /prioritize}: 0–10 per candidate node. */
  List<ExtenderWire.HostPriority> prioritize(ExtenderWire.Args args);

  /** {@code POST /bind}: the error text, empty on success. */
  String bind(ExtenderWire.BindArgs args);

  /** {@code POST /webhook}: an AdmissionReview response (or an HTTP error) for the request body. */
  AdmissionHandler.Reply admit(byte[] body);

  /** Why this replica must not answer yet, or null when it is ready. */
  String notReadyReason();
}
