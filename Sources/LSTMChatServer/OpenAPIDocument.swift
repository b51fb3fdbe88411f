/// `GET /openapi.json`: the API described for clients and tools (OpenAPI 3.0; schemathesis
/// tests the server against it). Request schemas say what `ServeRequests` accepts.
enum OpenAPIDocument {
    static let json = #"""
{
 "openapi": "3.0.3",
 "info": {
  "title": "lstmchat serve",
  "version": "1",
  "description": "A trained lstmchat model over HTTP. Requests that arrive together are decoded together. Errors are JSON: {\"error\": {\"message\", \"type\", \"code\"}}. With --api-key, every route but /, /health and /openapi.json wants Authorization: Bearer <key>."
 },
 "paths": {
  "/v1/ask": {
   "post": {
    "summary": "Ask the model: what `lstmchat ask --json` prints (any model)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/AskRequest"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "What `ask --json` prints for the model's task",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/v1/chat/completions": {
   "post": {
    "summary": "OpenAI chat completions (a question-answering model): the last user message is the question",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ChatCompletionRequest"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "A chat completion, or with stream: true server-sent events of chat.completion.chunk objects ending with [DONE]",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ChatCompletion"
        }
       },
       "text/event-stream": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/v1/completions": {
   "post": {
    "summary": "OpenAI text completions (a language model): the prompt continued to the line's end",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CompletionRequest"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "A text completion (or server-sent events with stream: true)",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "choices"
         ]
        }
       },
       "text/event-stream": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/v1/classify": {
   "post": {
    "summary": "Label a text (a classifier)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ClassifyRequest"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "The most likely labels with their probabilities",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Labels"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/v1/models": {
   "get": {
    "summary": "The model served",
    "responses": {
     "200": {
      "description": "OpenAI's model list, of one",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ModelList"
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/health": {
   "get": {
    "summary": "Whether the server is up, its model and task, requests waiting",
    "responses": {
     "200": {
      "description": "Up",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Health"
        }
       }
      }
     }
    }
   }
  },
  "/metrics": {
   "get": {
    "summary": "Prometheus metrics: requests by route and status, latency, tokens generated, batch sizes",
    "responses": {
     "200": {
      "description": "Prometheus text format 0.0.4",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/openapi.json": {
   "get": {
    "summary": "This document",
    "responses": {
     "200": {
      "description": "OpenAPI 3.0",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     }
    }
   }
  },
  "/": {
   "get": {
    "summary": "The chat page",
    "responses": {
     "200": {
      "description": "HTML",
      "content": {
       "text/html": {
        "schema": {
         "type": "string"
        }
       }
      }
     }
    }
   }
  }
 },
 "components": {
  "responses": {
   "Error": {
    "description": "A JSON error",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   }
  },
  "schemas": {
   "Error": {
    "type": "object",
    "required": [
     "error"
    ],
    "properties": {
     "error": {
      "type": "object",
      "required": [
       "message",
       "type",
       "code"
      ],
      "properties": {
       "message": {
        "type": "string"
       },
       "type": {
        "type": "string"
       },
       "code": {
        "type": "integer"
       }
      }
     }
    }
   },
   "AskRequest": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "question"
    ],
    "properties": {
     "question": {
      "type": "string",
      "minLength": 1,
      "maxLength": 10000,
      "pattern": "\\S",
      "description": "The question (for a language model the text to continue, for a classifier the text to label)."
     },
     "sample": {
      "type": "boolean"
     },
     "temperature": {
      "type": "number",
      "exclusiveMinimum": true,
      "minimum": 0
     },
     "top_k": {
      "type": "integer",
      "minimum": 0
     },
     "top_p": {
      "type": "number",
      "exclusiveMinimum": true,
      "minimum": 0,
      "maximum": 1
     },
     "beam": {
      "type": "integer",
      "minimum": 1,
      "maximum": 64
     },
     "max_length": {
      "type": "integer",
      "minimum": 1,
      "maximum": 1000
     },
     "seed": {
      "type": "integer",
      "minimum": 0
     },
     "allow_unknown": {
      "type": "boolean"
     },
     "max_repeats": {
      "type": "integer",
      "minimum": 0
     },
     "block_ngram_repeat": {
      "type": "integer",
      "minimum": 0
     },
     "n_best": {
      "type": "integer",
      "minimum": 1,
      "maximum": 64
     },
     "top": {
      "type": "integer",
      "minimum": 1
     },
     "min_confidence": {
      "type": "number",
      "minimum": 0,
      "maximum": 1
     },
     "fallback": {
      "type": "string",
      "maxLength": 10000,
      "pattern": "^[^\\n\\r]*$"
     },
     "match": {
      "type": "number",
      "exclusiveMinimum": true,
      "minimum": 0,
      "maximum": 1
     },
     "no_match": {
      "type": "boolean"
     }
    },
    "description": "The options of `lstmchat ask`, by their flags' names; those a model cannot use are refused (400)."
   },
   "ChatCompletionRequest": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "messages"
    ],
    "properties": {
     "messages": {
      "type": "array",
      "minItems": 1,
      "maxItems": 1000,
      "items": {
       "$ref": "#/components/schemas/Message"
      }
     },
\#(openAISampling),
     "max_completion_tokens": {
      "type": "integer",
      "minimum": 1,
      "maximum": 1000
     },
     "stream_options": {
      "type": "object",
      "properties": {
       "include_usage": {
        "type": "boolean"
       }
      }
     }
    }
   },
   "Message": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "role",
     "content"
    ],
    "properties": {
     "role": {
      "type": "string",
      "enum": [
       "system",
       "developer",
       "user",
       "assistant",
       "tool"
      ]
     },
     "content": {
      "type": "string",
      "maxLength": 10000
     },
     "name": {
      "type": "string"
     }
    }
   },
   "ChatCompletion": {
    "type": "object",
    "required": [
     "id",
     "object",
     "created",
     "model",
     "choices",
     "usage"
    ],
    "properties": {
     "id": {
      "type": "string"
     },
     "object": {
      "type": "string"
     },
     "created": {
      "type": "integer"
     },
     "model": {
      "type": "string"
     },
     "choices": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "index": {
         "type": "integer"
        },
        "finish_reason": {
         "type": "string"
        },
        "message": {
         "type": "object",
         "properties": {
          "role": {
           "type": "string"
          },
          "content": {
           "type": "string"
          }
         }
        }
       }
      }
     },
     "usage": {
      "type": "object",
      "properties": {
       "prompt_tokens": {
        "type": "integer"
       },
       "completion_tokens": {
        "type": "integer"
       },
       "total_tokens": {
        "type": "integer"
       }
      }
     },
     "lstmchat": {
      "type": "object",
      "description": "The model's confidence (0-1), whether the fallback was said, the known question it was asked as",
      "properties": {
       "confidence": {
        "type": "number"
       },
       "fallback": {
        "type": "boolean"
       },
       "asked_as": {
        "type": "string",
        "nullable": true
       }
      }
     }
    }
   },
   "CompletionRequest": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "prompt"
    ],
    "properties": {
     "prompt": {
      "type": "string",
      "maxLength": 10000
     },
\#(openAISampling)
    }
   },
   "ClassifyRequest": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "text"
    ],
    "properties": {
     "text": {
      "type": "string",
      "minLength": 1,
      "maxLength": 10000,
      "pattern": "\\S",
      "description": "The text to label."
     },
     "top": {
      "type": "integer",
      "minimum": 1
     }
    }
   },
   "Labels": {
    "type": "object",
    "required": [
     "text",
     "labels"
    ],
    "properties": {
     "text": {
      "type": "string"
     },
     "labels": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "label": {
         "type": "string"
        },
        "probability": {
         "type": "number"
        }
       }
      }
     }
    }
   },
   "ModelList": {
    "type": "object",
    "required": [
     "object",
     "data"
    ],
    "properties": {
     "object": {
      "type": "string"
     },
     "data": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "id",
        "object"
       ],
       "properties": {
        "id": {
         "type": "string"
        },
        "object": {
         "type": "string"
        },
        "created": {
         "type": "integer"
        },
        "owned_by": {
         "type": "string"
        },
        "task": {
         "type": "string"
        },
        "summary": {
         "type": "string"
        }
       }
      }
     }
    }
   },
   "Health": {
    "type": "object",
    "required": [
     "status",
     "model",
     "task"
    ],
    "properties": {
     "status": {
      "type": "string"
     },
     "model": {
      "type": "string"
     },
     "task": {
      "type": "string"
     },
     "waiting": {
      "type": "integer"
     },
     "auth": {
      "type": "boolean"
     }
    }
   }
  }
 }
}
"""#

    /// The request fields OpenAI's chat completions and completions share, written once for both.
    private static let openAISampling = #"""
     "model": {
      "type": "string",
      "description": "Accepted and ignored: the server has one model."
     },
     "temperature": {
      "type": "number",
      "minimum": 0,
      "maximum": 2,
      "description": "0 or absent: the most likely tokens (greedy, batched); above 0: sampled."
     },
     "top_p": {
      "type": "number",
      "exclusiveMinimum": true,
      "minimum": 0,
      "maximum": 1
     },
     "max_tokens": {
      "type": "integer",
      "minimum": 1,
      "maximum": 1000
     },
     "n": {
      "type": "integer",
      "minimum": 1,
      "maximum": 16
     },
     "seed": {
      "type": "integer",
      "minimum": -9223372036854775808,
      "maximum": 9223372036854775807
     },
     "stream": {
      "type": "boolean",
      "description": "Server-sent events, one per token."
     },
     "user": {
      "type": "string"
     }
"""#
}
