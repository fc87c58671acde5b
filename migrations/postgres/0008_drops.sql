CREATE TABLE "drops" (
	"id" text PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"owner_id" integer NOT NULL,
	"folder_id" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"max_bytes" bigint NOT NULL,
	"bytes_used" bigint DEFAULT 0 NOT NULL,
	"closed_at" timestamp (3) with time zone
);
--> statement-breakpoint
ALTER TABLE "uploads" ADD COLUMN "drop_id" text;--> statement-breakpoint
ALTER TABLE "uploads" ADD COLUMN "uploader" text;--> statement-breakpoint
ALTER TABLE "drops" ADD CONSTRAINT "drops_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drops" ADD CONSTRAINT "drops_folder_id_folders_id_fk" FOREIGN KEY ("folder_id") REFERENCES "public"."folders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "drops_token" ON "drops" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "drops_owner" ON "drops" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "drops_folder" ON "drops" USING btree ("folder_id");