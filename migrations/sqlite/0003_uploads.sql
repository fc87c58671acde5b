CREATE TABLE `uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` integer NOT NULL,
	`name` text NOT NULL,
	`content_type` text NOT NULL,
	`size` integer NOT NULL,
	`received` integer NOT NULL,
	`storage_key` text NOT NULL,
	`segments` integer NOT NULL,
	`multipart_id` text,
	`parts` text NOT NULL,
	`tail_size` integer NOT NULL,
	`hash_state` text,
	`lease_owner` text,
	`lease_until` integer,
	`created_at` integer NOT NULL,
	`touched_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `uploads_owner` ON `uploads` (`owner_id`);--> statement-breakpoint
CREATE INDEX `uploads_touched` ON `uploads` (`touched_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `uploads_storage_key` ON `uploads` (`storage_key`);