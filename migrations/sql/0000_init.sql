CREATE TABLE "idempotency_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"state" text NOT NULL,
	"request_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inbox" (
	"function_name" text NOT NULL,
	"event_id" text NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inbox_function_name_event_id_pk" PRIMARY KEY("function_name","event_id")
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"ts" text NOT NULL,
	"sender" text NOT NULL,
	"message_attributes" jsonb NOT NULL,
	"sent_from_ip" text NOT NULL,
	"priority" integer NOT NULL,
	"accepted_at" timestamp with time zone NOT NULL,
	"stored_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "job_results" (
	"event_id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"result" jsonb NOT NULL,
	"duration_ms" double precision NOT NULL,
	"completed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "inbox_event_id_idx" ON "inbox" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "messages_sender_id_idx" ON "messages" USING btree ("sender","id");