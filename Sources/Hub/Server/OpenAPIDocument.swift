import Domain
import SyncCore

/// The hub's API, served at /openapi.yaml and checked by schemathesis in the tests.
enum OpenAPIDocument {
    /// `definition=N` on pushes and pulls: the sender's domain definition version.
    static let definitionParameter =
        "{name: definition, in: query, required: false, description: \"The sender's domain definition version "
        + "(absent: 1, what releases that sent none ran). The hub checks pushed values against its own definition as "
        + "a replica of that version sees it: a newer one's collections, fields and codes are kept; a value outside "
        + "its field's type or enumeration is set aside (invalid_value).\", schema: {type: integer, minimum: "
        + "\(DomainDefinition.declarableVersions.lowerBound), maximum: \(DomainDefinition.declarableVersions.upperBound)}}"

    static let yaml = """
        openapi: 3.0.3
        info:
          title: Tre hub
          version: "1"
          description: |
            A district or province hub of Tre. Nodes and lower hubs enrol once with a one-time
            code, then push their change logs and pull the hub's, in compressed change sets sealed
            (encrypted and authenticated) with a key derived from the enrolment key
            (application/x-tre-changeset, format 3). Every request but enrolment is signed with the
            key given at enrolment (headers Tre-Origin, Tre-Time, Tre-Nonce, Tre-Signature), and
            every answer to a signed request is signed back (Tre-Response-Signature). A peer whose
            enrolment the hub's operator revoked is refused on every signed route with 401 and
            error `revoked`.
        paths:
          /health:
            get:
              summary: Liveness
              responses:
                "200":
                  description: The process is up.
                  content:
                    application/json:
                      schema: {type: object, properties: {status: {type: string}}, required: [status]}
          /ready:
            get:
              summary: Readiness (the database can be read)
              responses:
                "200":
                  description: Ready.
                  content:
                    application/json:
                      schema: {type: object, properties: {status: {type: string}}, required: [status]}
                "503":
                  $ref: "#/components/responses/Refusal"
          /openapi.yaml:
            get:
              summary: This document
              responses:
                "200":
                  description: The OpenAPI document.
                  content:
                    application/yaml:
                      schema: {type: string}
          /metrics:
            get:
              summary: The hub's metrics in Prometheus text format
              description: |
                Requests by route pattern and status, body bytes in and out, changes merged and
                sent, refusals by level and reason, syncs by direction and outcome with their
                durations, records with open conflicts, and each active peer's last sync (by origin
                and unit code, never a name). Readable from this machine, from the networks given
                with `serve --metrics-from CIDR`, or with `Authorization: Bearer TOKEN` matching
                `serve --metrics-token-file FILE`; a request carrying a proxy's forwarding header
                needs the token. Anyone else is answered 403 `metrics_forbidden`.
              responses:
                "200":
                  description: The metrics.
                  content:
                    text/plain:
                      schema: {type: string}
                "403":
                  $ref: "#/components/responses/Refusal"
          /v1/enrol:
            post:
              summary: Enrol a node or lower hub with a one-time code
              description: |
                The code fixes the unit and the kind (node or hub) and works once. The hub assigns
                the new replica's origin (a UUIDv7) and key and answers them. A request that sends
                its own `origin` is refused (400 origin_not_accepted), as is any field not listed
                here; a code of the other kind (403 wrong_kind) or of another unit than `unit`
                (403 wrong_unit) is refused and stays unused.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      additionalProperties: false
                      required: [code, kind]
                      properties:
                        code: {type: string, maxLength: 64}
                        kind: {type: string, enum: [node, hub]}
                        name: {type: string, maxLength: 100, pattern: '^[^\\x00-\\x1F\\x7F-\\x9F]*$'}
                        unit: {type: string, minLength: 1, maxLength: 32}
              responses:
                "200":
                  description: Enrolled; the key is shown only once.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [origin, unit, unit_name, key, hub_origin, hub_unit]
                        properties:
                          origin: {type: string, format: uuid}
                          unit: {type: string}
                          unit_name: {type: string}
                          key: {type: string}
                          hub_origin: {type: string, format: uuid}
                          hub_unit: {type: string}
                "400": {$ref: "#/components/responses/Refusal"}
                "401": {$ref: "#/components/responses/Refusal"}
                "403": {$ref: "#/components/responses/Refusal"}
                "413": {$ref: "#/components/responses/Refusal"}
          /v1/push:
            post:
              summary: Apply a change set from the caller's log; refused changes are set aside, the rest applies
              security: [{TreSignature: []}]
              parameters:
                - {name: epoch, in: query, required: false, schema: {type: string, maxLength: 64, pattern: '^[!-9;-~]*$'}}
                - \(definitionParameter)
              requestBody:
                required: true
                content:
                  application/x-tre-changeset:
                    schema: {type: string, format: binary}
                  application/octet-stream:
                    schema: {type: string, format: binary}
              responses:
                "200":
                  description: Applied; the caller's log is acknowledged up to `acknowledged`.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [acknowledged, applied, duplicates, parked, set_aside]
                        properties:
                          acknowledged: {type: integer}
                          applied: {type: integer}
                          duplicates: {type: integer}
                          parked: {type: integer}
                          set_aside:
                            type: array
                            description: Changes refused and set aside, with why (identities, field names and what is wrong; never values).
                            items:
                              type: object
                              required: [origin, counter, collection, record, code, message]
                              properties:
                                origin: {type: string, format: uuid}
                                counter: {type: integer}
                                collection: {type: string}
                                record: {type: string, format: uuid}
                                code: {type: string, enum: [\(AuthorizationError.Kind.allCases.map(\.rawValue).joined(separator: ", "))]}
                                message: {type: string}
                "400": {$ref: "#/components/responses/Refusal"}
                "401": {$ref: "#/components/responses/Refusal"}
                "403": {$ref: "#/components/responses/Refusal"}
                "409": {$ref: "#/components/responses/Refusal"}
                "413": {$ref: "#/components/responses/Refusal"}
                "422": {$ref: "#/components/responses/Refusal"}
                "429": {$ref: "#/components/responses/Refusal"}
          /v1/pull:
            get:
              summary: The hub's log after a cursor, filtered to the caller's units, as a change set
              security: [{TreSignature: []}]
              parameters:
                - {name: after, in: query, required: true, schema: {type: integer, format: int64, minimum: 0, maximum: 9223372036854775807}}
                - {name: max_bytes, in: query, required: false, schema: {type: integer, format: int32, minimum: 1, maximum: 2147483647}}
                - {name: epoch, in: query, required: false, description: "The epoch of the hub's log as last seen; another one makes the hub answer from 0.", schema: {type: string, maxLength: 64}}
                - {name: mark, in: query, required: false, description: "The Tre-Log-Mark header of the page that ended at `after`; when another change holds that position (the log went back in time) the hub answers from 0.", schema: {type: string, pattern: '^([0-9a-f]{16})?$'}}
                - {name: own, in: query, required: false, description: "1 after a restore: include the caller's own changes.", schema: {type: string, enum: ["0", "1"]}}
                - \(definitionParameter)
              responses:
                "200":
                  description: A change set (kind pull) covering the log up to its `to` position.
                  content:
                    application/x-tre-changeset:
                      schema: {type: string, format: binary}
                "400": {$ref: "#/components/responses/Refusal"}
                "401": {$ref: "#/components/responses/Refusal"}
          /v1/status:
            get:
              summary: The hub's identity, clock, and the caller's acknowledged position
              security: [{TreSignature: []}]
              responses:
                "200":
                  description: Status.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [hub_origin, hub_unit, hub_name, hub_time_ms, acknowledged, log_length, unit]
                        properties:
                          hub_origin: {type: string}
                          hub_unit: {type: string}
                          hub_name: {type: string}
                          hub_time_ms: {type: string}
                          acknowledged: {type: string}
                          log_length: {type: string}
                          unit: {type: string}
                "401": {$ref: "#/components/responses/Refusal"}
        components:
          securitySchemes:
            TreSignature:
              type: apiKey
              in: header
              name: Tre-Signature
              description: |
                HMAC-SHA256 with the enrolment key over "TRE1\\n" + method + "\\n" + path and
                query + "\\n" + Tre-Time + "\\n" + Tre-Nonce + "\\n" + hex SHA-256 of the body,
                sent with the headers Tre-Origin, Tre-Time (Unix milliseconds) and Tre-Nonce.
          responses:
            Refusal:
              description: A refusal; nothing was changed.
              content:
                application/json:
                  schema:
                    type: object
                    required: [error, message, hint]
                    properties:
                      error: {type: string}
                      message: {type: string}
                      hint: {type: string}
                      expected: {type: string}
                      revoked_at: {type: string}
        """
}
