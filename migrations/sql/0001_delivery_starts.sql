CREATE TABLE "delivery_starts" (
	"function_name" text NOT NULL,
	"event_id" text NOT NULL,
	"starts" integer DEFAULT 1 NOT NULL,
	"last_started_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "delivery_starts_function_name_event_id_pk" PRIMARY KEY("function_name","event_id")
);
