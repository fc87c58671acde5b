CREATE TABLE `folders` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` integer NOT NULL,
	`parent_id` text,
	`name` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`parent_id`) REFERENCES `folders`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `folders_owner_parent_name` ON `folders` (`owner_id`,coalesce(`parent_id`, ''),`name`);--> statement-breakpoint
CREATE INDEX `folders_parent` ON `folders` (`parent_id`);--> statement-breakpoint
CREATE TABLE `grants` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` integer NOT NULL,
	`recipient_id` integer NOT NULL,
	`file_id` text,
	`folder_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`recipient_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`file_id`) REFERENCES `files`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`folder_id`) REFERENCES `folders`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `grants_recipient_file` ON `grants` (`recipient_id`,`file_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `grants_recipient_folder` ON `grants` (`recipient_id`,`folder_id`);--> statement-breakpoint
CREATE INDEX `grants_owner` ON `grants` (`owner_id`);--> statement-breakpoint
CREATE INDEX `grants_file` ON `grants` (`file_id`);--> statement-breakpoint
CREATE INDEX `grants_folder` ON `grants` (`folder_id`);--> statement-breakpoint
DROP INDEX `files_owner_name`;--> statement-breakpoint
ALTER TABLE `files` ADD `folder_id` text REFERENCES folders(id) ON DELETE cascade;--> statement-breakpoint
CREATE UNIQUE INDEX `files_owner_folder_name` ON `files` (`owner_id`,coalesce(`folder_id`, ''),`name`);--> statement-breakpoint
CREATE INDEX `files_folder` ON `files` (`folder_id`);--> statement-breakpoint
ALTER TABLE `uploads` ADD `folder_id` text REFERENCES folders(id) ON DELETE set null;