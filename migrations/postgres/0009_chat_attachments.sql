ALTER TABLE "messages" ADD COLUMN "share_id" text;--> statement-breakpoint
CREATE INDEX "messages_share" ON "messages" USING btree ("share_id") WHERE "messages"."share_id" is not null;